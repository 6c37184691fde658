"""communities.static_storage: a static file's URL is looked up in the manifest once per process."""

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from communities.static_storage import StaticFilesStorage


def test_each_files_url_is_looked_up_once_and_a_missing_one_is_not_kept(monkeypatch, tmp_path):
    looked_up = []

    def manifest_url(self, name, force=False):
        looked_up.append(name)
        if name == "missing.css":
            raise ValueError("Missing staticfiles manifest entry for 'missing.css'")
        return f"/static/{name.replace('.css', '.3f2a.css')}"

    monkeypatch.setattr(CompressedManifestStaticFilesStorage, "url", manifest_url)
    storage = StaticFilesStorage(location=tmp_path)

    assert storage.url("css/site.css") == storage.url("css/site.css") == "/static/css/site.3f2a.css"
    assert looked_up == ["css/site.css"]
    for _ in range(2):
        with pytest.raises(ValueError):
            storage.url("missing.css")
    assert looked_up == ["css/site.css", "missing.css", "missing.css"]
