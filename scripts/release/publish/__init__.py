"""Publishing a built release: a GitHub release with the artifacts, a Zenodo deposition with a DOI.

Publishing is separate from building: ``python -m scripts.release publish X.Y.Z --to github``
uploads what ``release`` put in ``dist/cnplans-X.Y.Z/`` (after checking SHA256SUMS). Tokens come
from the environment and are redacted from everything printed; a failure says what was and was
not published, and a rerun resumes where it stopped.
"""
