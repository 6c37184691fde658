"""The static files' storage in production: whitenoise's compressed manifest storage, each file's URL looked up once
per process. Every page names the same files (the admin's frame eight of them), and each lookup of a hashed name
(the manifest, quoting, joining) cost more than a small page's header; the manifest does not change while the
process runs (collectstatic comes with a deploy, and a deploy restarts the processes)."""

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        try:
            return self._urls[name]
        except KeyError:
            url = self._urls[name] = super().url(name)  # a file missing from the manifest raises, and is not kept
            return url
