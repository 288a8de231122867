"""Create the database named in DATABASE_URL if it does not exist yet (PostGIS comes with migrate)."""

import os
import sys

import environ
import psycopg
from psycopg import sql

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
env = environ.Env()
environ.Env.read_env(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), ".env"))
db = env.db("DATABASE_URL", default="postgis://postgres@127.0.0.1:5432/anquan")
params = {
    "host": db["HOST"] or "127.0.0.1",
    "port": db["PORT"] or 5432,
    "user": db["USER"],
    "password": db["PASSWORD"] or None,
    "dbname": "postgres",
    "autocommit": True,
}
with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
    exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
    if not exists:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
        print(f"created database {db['NAME']}")
