"""The OpenAPI document per contract version is generated from the app and checked in;
a change to the API that is not exported (`mdm contracts export`) fails here."""

import json

from mdm.contracts_export import OPENAPI_DIR, documents


def test_checked_in_documents_match_the_app():
    for version, document in documents().items():
        path = OPENAPI_DIR / f"{version}.json"
        assert path.exists(), f"run `mdm contracts export` to write {path}"
        assert json.loads(path.read_text()) == document, f"{path} is stale: run `mdm contracts export`"


def test_v1_document_names_every_domain_operation():
    doc = documents()["v1"]
    operation_ids = {op["operationId"] for path in doc["paths"].values() for op in path.values()}
    for label in ("Customer", "LegalEntity", "Project", "Employee", "CostCenter", "RateCard"):
        assert {f"create{label}", f"get{label}", f"patch{label}", f"upsert{label}Source", f"resolve{label}",
                f"translate{label}", f"get{label}Lineage"} <= operation_ids  # fmt: skip
    assert "bulkResolve" in operation_ids
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail", "errors"} <= set(problem["properties"])
