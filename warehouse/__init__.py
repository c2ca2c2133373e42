"""The PostgreSQL warehouse: schema, migrations, engine bootstrap and bulk loading."""
