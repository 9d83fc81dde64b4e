"""The `person` domain of the Febrl benchmark (bench/febrl.py), added from outside mdm as a
firm would add one: `person.py` (contracts, descriptor, blocking keys, match rules, seed
policy) and its Alembic revision in `migrations/`, registered with
MDM_DOMAIN_MODULES=bench.febrl.person."""
