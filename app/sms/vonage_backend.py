"""Vonage backend: the only module that imports the vonage SDK."""

import logging

import requests
from vonage import Auth, HttpClientOptions, Vonage
from vonage_http_client.errors import HttpRequestError
from vonage_sms import SmsMessage
from vonage_sms.errors import SmsError
from vonage_utils.errors import VonageError

from app.log_safety import drop_debug_records
from app.sms import GENERIC_FAILURE, UNCONFIRMED, SmsSendError, sender_ids

log = logging.getLogger(__name__)
# The SDK logs request bodies (the number, and the code in the text) at DEBUG.
logging.getLogger("vonage").setLevel(logging.INFO)
drop_debug_records("vonage")

# Vonage status codes that mean the number itself is the problem.
_NUMBER_PROBLEMS = {"6": "unroutable", "7": "barred", "29": "not allowed", "15": "invalid"}


class VonageSender:
    """Send through Vonage's SMS API with the official SDK."""

    def __init__(self, client: Vonage, sender_id: str, by_country: dict[str, str] | None = None) -> None:
        self._client = client
        self._sender_id = sender_id
        # Calling code -> sender: +1 carriers drop texts from alphanumeric senders.
        self._by_country = by_country or {}

    @classmethod
    def from_config(cls, config) -> "VonageSender":
        # The SDK resends a request up to pool_maxsize times when the connection drops, and an
        # SMS can't be unsent: one connection in the pool means one attempt, never a double text.
        options = {"timeout": int(config["VONAGE_TIMEOUT"]), "max_retries": 0, "pool_maxsize": 1}
        if config.get("VONAGE_REST_HOST"):
            options["rest_host"] = config["VONAGE_REST_HOST"]
        auth = Auth(
            api_key=config["VONAGE_API_KEY"] or "unset",
            api_secret=config["VONAGE_API_SECRET"] or "unset",
        )
        return cls(Vonage(auth, HttpClientOptions(**options)), config["VONAGE_SMS_FROM"],
                   sender_ids.parse_by_country(config.get("VONAGE_SMS_FROM_BY_COUNTRY")))

    def send(self, to_e164: str, text: str) -> None:
        sender = sender_ids.choose(to_e164, self._sender_id, self._by_country)
        message = SmsMessage(to=to_e164.lstrip("+"), from_=sender, text=text)
        try:
            self._client.sms.send(message)
        except SmsError as exc:
            detail = str(exc)
            log.warning("Vonage refused the SMS: %s", detail)
            raise SmsSendError(_user_message(detail), detail) from exc
        except requests.ReadTimeout as exc:
            # The request went out and no answer came: Vonage may still deliver the text.
            log.warning("Vonage did not answer in time: %s", type(exc).__name__)
            raise SmsSendError(UNCONFIRMED, type(exc).__name__, unconfirmed=True) from exc
        except (VonageError, HttpRequestError, requests.RequestException) as exc:
            log.warning("Vonage request failed: %s", type(exc).__name__)
            raise SmsSendError(GENERIC_FAILURE, type(exc).__name__) from exc
        except (KeyError, ValueError, TypeError) as exc:
            # A malformed answer from the provider: treat as not sent.
            log.warning("Vonage answer not understood: %s", type(exc).__name__)
            raise SmsSendError(GENERIC_FAILURE, type(exc).__name__) from exc


def _user_message(detail: str) -> str:
    # The SDK's text is "... failed with error code N: <error-text>".
    code = detail.split("error code", 1)[-1].split(":", 1)[0].strip()
    if code in _NUMBER_PROBLEMS:
        return "We couldn't send a text message to that number. Check it, or use another mobile number."
    return GENERIC_FAILURE
