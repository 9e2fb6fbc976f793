"""Contract tests: auth, DBFS, the Files API, cluster policies and Unity Catalog, through databricks-sdk only.

Every response is checked against the SDK's own dataclasses (from_dict(as_dict()) gives the same
object) and every refusal against the SDK's error class for Databricks' error code.
"""

from __future__ import annotations

import base64
import io
import json

import pytest
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceAlreadyExists, Unauthenticated
from databricks.sdk.service.catalog import CatalogInfo, SchemaInfo
from databricks.sdk.service.compute import Policy
from databricks.sdk.service.files import FileInfo

pytestmark = pytest.mark.integration


def round_trips(value) -> bool:
    return type(value).from_dict(value.as_dict()) == value


def test_a_wrong_or_missing_token_is_refused_with_401_and_discovery_is_open(emulator):
    with pytest.raises(Unauthenticated):
        emulator.client(token="not-the-token").dbfs.get_status("/")
    answer = emulator.client().api_client.do("GET", "/.well-known/databricks-config", headers={"Authorization": ""})
    assert answer["oidc_endpoint"] == f"{emulator.host}/oidc" and answer["workspace_id"]


def test_dbfs_put_read_with_offsets_list_and_delete_round_trip(workspace):
    workspace.dbfs.mkdirs("/tmp/pipes")
    payload = b"0123456789" * 10
    workspace.dbfs.put("/tmp/pipes/context.json", contents=base64.b64encode(payload).decode(), overwrite=True)
    status = workspace.dbfs.get_status("dbfs:/tmp/pipes/context.json")
    assert round_trips(status) and status.file_size == len(payload) and status.is_dir is False
    chunk = workspace.dbfs.read("/tmp/pipes/context.json", offset=95, length=10)
    assert chunk.bytes_read == 5 and base64.b64decode(chunk.data) == b"56789"
    assert [info.path for info in workspace.dbfs.list("/tmp/pipes")] == ["/tmp/pipes/context.json"]
    with pytest.raises(ResourceAlreadyExists):
        workspace.dbfs.put("/tmp/pipes/context.json", contents="", overwrite=False)
    workspace.dbfs.delete("/tmp/pipes", recursive=True)
    with pytest.raises(NotFound):
        workspace.dbfs.get_status("/tmp/pipes/context.json")


def test_the_sdk_streaming_upload_and_download_go_through_create_add_block_close_and_read(workspace):
    data = bytes(range(256)) * 9000  # 2.3 MB: three blocks of at most 1 MB
    workspace.dbfs.upload("/FileStore/wheels/big.bin", io.BytesIO(data), overwrite=True)
    with workspace.dbfs.download("dbfs:/FileStore/wheels/big.bin") as stream:
        assert stream.read() == data
    assert FileInfo.from_dict(workspace.dbfs.get_status("/FileStore/wheels/big.bin").as_dict()).file_size == len(data)


def test_files_api_upload_download_metadata_listing_and_deletion(workspace, emulator):
    workspace.files.create_directory("/Volumes/dev/claims/landing")
    workspace.files.upload("/Volumes/dev/claims/landing/a.csv", io.BytesIO(b"id\n1\n"))
    with pytest.raises(Exception) as refused:
        workspace.files.upload("/Volumes/dev/claims/landing/a.csv", io.BytesIO(b"other"), overwrite=False)
    assert getattr(refused.value, "error_code", None) == "ALREADY_EXISTS"
    assert workspace.files.download("/Volumes/dev/claims/landing/a.csv").contents.read() == b"id\n1\n"
    assert workspace.files.get_metadata("/Volumes/dev/claims/landing/a.csv").content_length == 5
    entries = list(workspace.files.list_directory_contents("/Volumes/dev/claims/landing"))
    assert [(entry.name, entry.is_directory, entry.file_size) for entry in entries] == [("a.csv", False, 5)]
    assert all(round_trips(entry) for entry in entries)
    # a volume path is the same file through DBFS, as on Databricks
    assert workspace.dbfs.get_status("/Volumes/dev/claims/landing/a.csv").file_size == 5
    workspace.files.delete("/Volumes/dev/claims/landing/a.csv")
    with pytest.raises(NotFound):
        workspace.files.get_metadata("/Volumes/dev/claims/landing/a.csv")


def test_cluster_policies_get_and_list_return_the_policy_definition(workspace):
    definition = {"spark_version": {"type": "fixed", "value": "15.4.x-scala2.12"},
                  "num_workers": {"type": "range", "maxValue": 4}}
    created = workspace.cluster_policies.create(name="lakegate-jobs", definition=json.dumps(definition))
    policy = workspace.cluster_policies.get(created.policy_id)
    assert isinstance(policy, Policy) and round_trips(policy)
    assert json.loads(policy.definition) == definition
    assert {p.name: p.policy_id for p in workspace.cluster_policies.list()}["lakegate-jobs"] == created.policy_id
    with pytest.raises(NotFound):
        workspace.cluster_policies.get("NO-SUCH-POLICY")
    with pytest.raises(ResourceAlreadyExists):
        workspace.cluster_policies.create(name="lakegate-jobs", definition="{}")
    with pytest.raises(InvalidParameterValue, match="regexp"):
        workspace.cluster_policies.create(name="bad", definition=json.dumps({"x": {"type": "regexp"}}))


def test_unity_catalog_catalogs_and_schemas_round_trip_and_missing_names_are_not_found(workspace):
    catalog = workspace.catalogs.create(name="test")
    schema = workspace.schemas.create(name="claims", catalog_name="test")
    assert isinstance(catalog, CatalogInfo) and round_trips(catalog) and round_trips(schema)
    assert isinstance(schema, SchemaInfo) and workspace.schemas.get("test.claims").storage_root == schema.storage_root
    with pytest.raises(ResourceAlreadyExists):
        workspace.schemas.create(name="claims", catalog_name="test")
    with pytest.raises(NotFound):
        workspace.tables.get("test.claims.no_such_table")
    with pytest.raises(InvalidParameterValue):
        workspace.tables.get("not-three-parts")
