"""Small iteration helpers shared by the apps."""

from itertools import islice


def batched(items, size: int):
    """Lists of up to `size` items, in order: itertools.batched of Python 3.12, for 3.11."""
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch
