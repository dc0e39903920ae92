"""Which cache errors mean "Redis is unavailable just now, try again" (the database's: linkapp/database.py).

Apart from linkapp/failures.py, which answers them: modules that only catch them (the wizard store) are imported
by the benchmarks before Django, and so allauth, is set up."""

from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

# Redis unreachable, or refusing a write (full under noeviction, or a replica): the person should retry.
CACHE_UNAVAILABLE = (ConnectionInterrupted, RedisError)
