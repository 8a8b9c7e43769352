"""second-factor challenges: recovery-code tries per sign-in and re-authentication

Revision ID: a11rec0e0001
Revises: a11a0d170001
Create Date: 2026-11-29 18:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a11rec0e0001'
down_revision = 'a11a0d170001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('second_factor_challenges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('recovery_attempts', sa.Integer(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_second_factor_challenges_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_second_factor_challenges'))
    )
    with op.batch_alter_table('second_factor_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_second_factor_challenges_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_second_factor_challenges_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('second_factor_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_second_factor_challenges_user_id'))
        batch_op.drop_index(batch_op.f('ix_second_factor_challenges_expires_at'))

    op.drop_table('second_factor_challenges')
