"""sms_messages: one row per text sent, counted by the hourly SMS caps

Revision ID: a10f10c0de01
Revises: d6d2a0f844fb
Create Date: 2026-12-01 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a10f10c0de01'
down_revision = 'd6d2a0f844fb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('phone_e164', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sms_messages_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sms_messages'))
    )
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sms_messages_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_sms_phone_created', ['phone_e164', 'created_at'], unique=False)
        batch_op.create_index('ix_sms_user_created', ['user_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('sms_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_sms_user_created')
        batch_op.drop_index('ix_sms_phone_created')
        batch_op.drop_index(batch_op.f('ix_sms_messages_created_at'))

    op.drop_table('sms_messages')
