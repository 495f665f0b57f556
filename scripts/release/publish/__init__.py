"""Publishing a built release: a GitHub release with the artifacts, a Zenodo deposition with a DOI.

Tokens come from the environment and are redacted from everything printed; a failure says what
was and was not published, and a rerun resumes where it stopped.
"""
