"""A minimal stand-in for the `attrdict` PyPI package (unmaintained, and not installable offline),
which Triton's image_client.py imports for its HTTP form only: a dict whose keys read as
attributes, nested dicts and lists wrapped the same way (lists as tuples, as attrdict does).
Written for tensorgate's compat runs; run_images.py puts this folder on PYTHONPATH only when the
real package is missing.
"""


def _wrap(value):
    if isinstance(value, dict) and not isinstance(value, AttrDict):
        return AttrDict(value)
    if isinstance(value, list):
        return tuple(_wrap(v) for v in value)
    return value


class AttrDict(dict):
    def __getattr__(self, name):
        try:
            value = _wrap(self[name])
        except KeyError:
            raise AttributeError(name) from None
        if value is not self[name]:
            self[name] = value
        return value

    def __setattr__(self, name, value):
        self[name] = value
