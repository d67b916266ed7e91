"""A request the business rules refuse, in Lago's terms: the field and Lago's error code.

Models raise it (their rules are Lago's: a subscription id already taken, a filter value Lago
refuses); the API answers it as 422 `{"<field>": ["<code>"]}`. It carries no HTTP: models stay
usable outside a request (crons, an Enterprise bridge)."""


class LagoRefusal(Exception):
    def __init__(self, field, code):
        super().__init__(f'{field}: {code}')
        self.field = field
        self.code = code
