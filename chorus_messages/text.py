"""Text folding for accent- and case-insensitive "contains" searches."""

import unicodedata


def fold(text: str) -> str:
    """Return `text` in lower case without accents ("Élagage" → "elagage").

    Stored beside searchable columns so that the same `LIKE '%...%'` finds
    "elagage" in "ÉLAGAGE" on SQLite and PostgreSQL alike; PostgreSQL also
    gets a trigram index on the folded column.
    """
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
