"""The Milvus collections' schemas (see ``qa.stores.milvus``) and the alias switch.

A write creates three new collections named ``<name>__<version>`` (+ ``_pieces``, ``_records``)
and, once they are filled, points the aliases ``<name>`` (+ ``_pieces``, ``_records``) at them
in one ``alter_alias`` each: a query never sees a half-written index. The previous version's
collections stay (a reader may still hold them); older ones are dropped.
"""

from __future__ import annotations

from typing import Any

ANALYZER = {"tokenizer": "jieba"}
SPARSE_FIELDS = {"text": "text_sparse", "title": "title_sparse"}


SUFFIXES = ("", "_pieces", "_records")


def create_collections(client: Any, name: str, dim: int, lite: bool) -> None:
    """Create the three collections ``name`` (+ ``_pieces``, ``_records``), dropping any
    left by a write that did not finish."""
    from pymilvus import DataType, Function, FunctionType

    dense = {"index_type": "FLAT"} if lite else {"index_type": "HNSW", "params": {"M": 16}}
    for suffix in SUFFIXES:
        if client.has_collection(name + suffix):
            client.drop_collection(name + suffix)
    schema = client.create_schema(auto_id=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("passage", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("title_vector", DataType.FLOAT_VECTOR, dim=dim)
    for text in ("text", "title"):
        schema.add_field(
            text, DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params=ANALYZER
        )
        schema.add_field(SPARSE_FIELDS[text], DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name=f"{text}_bm25",
                function_type=FunctionType.BM25,
                input_field_names=[text],
                output_field_names=[SPARSE_FIELDS[text]],
            )
        )
    schema.add_field("record", DataType.VARCHAR, max_length=65535)
    params = client.prepare_index_params()
    for field in ("passage", "title_vector"):
        params.add_index(field, metric_type="IP", **dense)
    for field in SPARSE_FIELDS.values():
        params.add_index(field, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")
    client.create_collection(name, schema=schema, index_params=params)
    _simple(client, f"{name}_pieces", "piece", dim, {"row": DataType.INT64}, dense)
    _simple(
        client, f"{name}_records", "id", 2, {"record": DataType.VARCHAR}, {"index_type": "FLAT"}
    )


def _simple(client: Any, name: str, key: str, dim: int, extra: dict, dense: dict) -> None:
    from pymilvus import DataType

    schema = client.create_schema(auto_id=False)
    schema.add_field(key, DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    for field, kind in extra.items():
        schema.add_field(field, kind, **({"max_length": 65535} if kind == DataType.VARCHAR else {}))
    params = client.prepare_index_params()
    params.add_index("vector", metric_type="IP", **dense)
    client.create_collection(name, schema=schema, index_params=params)


def switch_aliases(client: Any, alias: str, target: str) -> None:
    """Point ``alias`` (+ suffixes) at ``target`` (+ suffixes); drop versions before the
    previous one. A plain collection named like the alias (older layout) is replaced."""
    aliases = set(client.list_aliases().get("aliases", []))
    previous = ""
    for suffix in SUFFIXES:
        name = alias + suffix
        if name in aliases:
            previous = previous or str(client.describe_alias(name).get("collection_name", ""))
            client.alter_alias(target + suffix, name)
            continue
        if client.has_collection(name):
            client.drop_collection(name)  # the layout before versions: no alias yet
        client.create_alias(target + suffix, name)
    keep = {target, previous.removesuffix("_pieces").removesuffix("_records")}
    for name in client.list_collections():
        base = name.removesuffix("_pieces").removesuffix("_records")
        if base.startswith(alias + "__") and base not in keep:
            client.drop_collection(name)
