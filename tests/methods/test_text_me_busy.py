"""Try another way → Text me a code while this process's send slots are all taken (a slow Vonage)."""

from tests.methods.helpers import add_app, page
from tests.support import PHONE
from tests.twofactor_helpers import COULD_NOT_SEND


def test_text_me_with_busy_senders_says_so_and_remembers_no_limit(app, auth, client, clock, fake_vonage):
    user_id = auth.make_user(phone=PHONE)
    add_app(app, user_id)
    assert auth.sign_in().headers["Location"].endswith("/signin/app")
    slots = app.extensions["sms_slots"]
    held = [slots.acquire() for _ in range(slots.size)]  # other requests are texting right now
    try:
        response = client.post("/signin/text-me")
        html = page(client.get("/signin/verify"))
    finally:
        for _ in held:
            slots.release()
    assert response.status_code == 303 and response.headers["Location"].endswith("/signin/verify")
    assert COULD_NOT_SEND in html and "Too many" not in html
    assert fake_vonage.sent_to(PHONE) == []
    # No limit on this person was remembered: with a slot free, Resend code texts at once.
    assert client.post("/signin/resend").status_code == 303
    assert len(fake_vonage.sent_to(PHONE)) == 1
