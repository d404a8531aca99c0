"""The Milvus collections' schemas (see ``qa.stores.milvus``), dropped and created afresh."""

from __future__ import annotations

from typing import Any

ANALYZER = {"tokenizer": "jieba"}
SPARSE_FIELDS = {"text": "text_sparse", "title": "title_sparse"}


def create_collections(client: Any, name: str, dim: int, lite: bool) -> None:
    """Drop and create the three collections (not atomic yet: see qa/stores/MILVUS_NOTES.md)."""
    from pymilvus import DataType, Function, FunctionType

    dense = {"index_type": "FLAT"} if lite else {"index_type": "HNSW", "params": {"M": 16}}
    for suffix in ("", "_pieces", "_records"):
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
