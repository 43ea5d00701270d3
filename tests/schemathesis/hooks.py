"""Schemathesis hooks for Docket's API (loaded through SCHEMATHESIS_HOOKS by
`cargo xtask test` and `cargo xtask bench fuzz-api`).

Upload bodies (`application/pdf`) are drawn from: a real small PDF from the
corpus, that PDF cut short, and random bytes behind a `%PDF-` header — all of
them accepted at the door (202); what cannot be analysed ends its job in
`error` later. Bodies that are no PDF at all (415) are the end-to-end tests'.
"""

import os
import pathlib

import schemathesis
from hypothesis import strategies as st

_corpus = pathlib.Path(os.environ.get("DOCKET_CORPUS", str(pathlib.Path(__file__).resolve().parent.parent / "corpus")))
_small = (_corpus / "pdfminer-issue-886-xref-stream-widths.pdf").read_bytes()

pdf_bodies = st.one_of(
    st.just(_small),
    st.integers(min_value=8, max_value=len(_small) - 1).map(lambda n: _small[:n]),
    st.binary(max_size=2048).map(lambda b: b"%PDF-1.7\n" + b),
)

schemathesis.openapi.media_type("application/pdf", pdf_bodies)
# An append to a resumable upload: any bytes (the upload ids it is sent to
# do not exist, so it is answered 404; the end-to-end tests append for real).
schemathesis.openapi.media_type("application/partial-upload", st.binary(max_size=2048))
