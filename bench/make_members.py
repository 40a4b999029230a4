"""Members with a token each, written straight to the database (as ``cpd admin add-member`` would), for
``bench_service.py``'s rounds. Run as a script with the measured code first on the path (its PYTHONPATH; a script's
own folder, bench/, holds no package of the project), so that the schema is the one that code's migrations make:
a baseline from before a migration cannot start on a schema a newer checkout made.

Run:  python bench/make_members.py DATABASE_URL N TOKENS_FILE      (the tokens written one a line)
"""
from __future__ import annotations

import secrets
import sys

from sqlalchemy import insert

from sync_service import create_app, db
from sync_service.store.accounts import TOKEN_PREFIX, hash_token
from sync_service.store.models import ApiToken, Member, utcnow


def make_members(url: str, n: int) -> list[str]:
    """n members with a token each in the database at ``url``; their tokens."""
    app = create_app({"DATABASE_URL": url})
    tokens = [TOKEN_PREFIX + secrets.token_urlsafe(32) for _ in range(n)]
    with app.app_context():
        s = db.session()
        now = utcnow()
        s.execute(insert(Member), [{"public_id": "m_" + secrets.token_hex(8), "email": f"bench{i}@example.org",
                                    "is_admin": False, "created_at": now} for i in range(n)])
        ids = [row[0] for row in s.execute(Member.__table__.select().with_only_columns(Member.id)
                                           .order_by(Member.id)).all()]
        s.execute(insert(ApiToken), [{"member_id": mid, "prefix": t[:12], "token_hash": hash_token(t),
                                      "scopes": "submit read", "created_at": now} for mid, t in zip(ids, tokens)])
        s.commit()
    app.extensions["cpd_engine"].dispose()
    return tokens


if __name__ == "__main__":
    url, n, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(out, "w") as f:
        f.write("\n".join(make_members(url, n)))
