"""The Milvus collections' schemas (see ``qa.stores.milvus``) and the alias switch.

A full write creates three new collections named ``<name>__<version>`` (+ ``_pieces``, ``_records``)
and, once they are filled, points the aliases ``<name>`` (+ ``_pieces``, ``_records``) at them
in one ``alter_alias`` each: a query never sees a half-written index. The previous version's
collections stay (a reader may still hold them); older ones are dropped.
"""

from __future__ import annotations

from typing import Any

SPARSE_FIELDS = {"text": "text_sparse", "title": "title_sparse"}
SUFFIXES = ("", "_pieces", "_records")
LAYOUT = 2  # 2: client-side BM25 sparse vectors, batches per source, manifest records


def create_collections(client: Any, name: str, dim: int, lite: bool) -> None:
    """Create the three collections ``name`` (+ ``_pieces``, ``_records``), dropping any
    left by a write that did not finish.

    Every row carries the ``batch`` it was written in (one batch per source per write): a
    query filters on the batches its manifest names live, so rows being written, or kept for
    readers of the previous manifest, are never mixed in. ``source`` is the partition key of
    the chunk rows: a source's rows are written and deleted together.
    """
    from pymilvus import DataType

    dense = {"index_type": "FLAT"} if lite else {"index_type": "HNSW", "params": {"M": 16}}
    for suffix in SUFFIXES:
        if client.has_collection(name + suffix):
            client.drop_collection(name + suffix)
    schema = client.create_schema(auto_id=False)
    schema.add_field("row", DataType.INT64, is_primary=True)
    schema.add_field("source", DataType.VARCHAR, max_length=2048, is_partition_key=True)
    schema.add_field("batch", DataType.INT64)
    schema.add_field("passage", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("title_vector", DataType.FLOAT_VECTOR, dim=dim)
    for field in SPARSE_FIELDS.values():
        schema.add_field(field, DataType.SPARSE_FLOAT_VECTOR)
    schema.add_field("record", DataType.VARCHAR, max_length=65535)
    params = client.prepare_index_params()
    for field in ("passage", "title_vector"):
        params.add_index(field, metric_type="IP", **dense)
    for field in SPARSE_FIELDS.values():
        params.add_index(field, index_type="SPARSE_INVERTED_INDEX", metric_type="IP")
    params.add_index("batch", index_type="INVERTED")
    client.create_collection(name, schema=schema, index_params=params)

    schema = client.create_schema(auto_id=False)
    schema.add_field("piece", DataType.INT64, is_primary=True)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
    schema.add_field("row", DataType.INT64)
    schema.add_field("batch", DataType.INT64)
    params = client.prepare_index_params()
    params.add_index("vector", metric_type="IP", **dense)
    client.create_collection(f"{name}_pieces", schema=schema, index_params=params)

    schema = client.create_schema(auto_id=False)
    schema.add_field("key", DataType.VARCHAR, max_length=512, is_primary=True)
    schema.add_field("name", DataType.VARCHAR, max_length=512)  # doc_id, "stats", "manifest"
    schema.add_field("batch", DataType.INT64)
    schema.add_field("record", DataType.VARCHAR, max_length=65535)
    schema.add_field("vector", DataType.FLOAT_VECTOR, dim=2)  # Milvus needs a vector field
    params = client.prepare_index_params()
    params.add_index("vector", metric_type="IP", index_type="FLAT")
    client.create_collection(f"{name}_records", schema=schema, index_params=params)


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
