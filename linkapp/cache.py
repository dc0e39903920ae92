"""Which cache errors mean "Redis is unavailable just now, try again" (the database's: linkapp/database.py), and
which mean a value is there but this release cannot read it.

Apart from linkapp/failures.py, which answers them: modules that only catch them (the wizard store) are imported
by the benchmarks before Django, and so allauth, is set up."""

import pickle

from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

# Redis unreachable, or refusing a write (full under noeviction, or a replica): the person should retry.
CACHE_UNAVAILABLE = (ConnectionInterrupted, RedisError)

# What unpickling a value read from the cache raises when another release wrote it: a class of ours (a stored
# failure) moved or renamed, built otherwise, or a newer pickle protocol; or bytes that were never a pickle. Such a
# value counts as none, so that the person is not shown a 500 on every page until it expires.
UNPICKLING_ERRORS = (AttributeError, ImportError, TypeError, ValueError, EOFError, pickle.UnpicklingError)
