from tests.accounts.personas import mailbox, personas

__all__ = ["mailbox", "personas"]
