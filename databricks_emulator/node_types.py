"""The emulated workspace's node types (AWS names) and the DBUs each bills per hour, as a workspace
knows them: the policy check's virtual `dbus_per_hour` and the emulator's billing records read this
one table. Figures are Databricks' published AWS DBU rates per instance type (list, 2026-12)."""

from __future__ import annotations

from dataclasses import dataclass

from databricks_emulator.errors import invalid_parameter


@dataclass(frozen=True)
class NodeType:
    node_type_id: str
    num_cores: int
    memory_mb: int
    category: str
    dbus_per_hour: float

    def as_api(self) -> dict:
        """The node type as `GET /api/2.0/clusters/list-node-types` lists it."""
        return {"node_type_id": self.node_type_id, "instance_type_id": self.node_type_id,
                "num_cores": self.num_cores, "memory_mb": self.memory_mb, "category": self.category,
                "description": self.node_type_id, "support_cluster_tags": True}


NODE_TYPES: dict[str, NodeType] = {node.node_type_id: node for node in (
    NodeType("m5.large", 2, 8192, "General Purpose", 0.34),
    NodeType("m5.xlarge", 4, 16384, "General Purpose", 0.69),
    NodeType("m5.2xlarge", 8, 32768, "General Purpose", 1.37),
    NodeType("m5.4xlarge", 16, 65536, "General Purpose", 2.74),
    NodeType("r5.xlarge", 4, 32768, "Memory Optimized", 0.9),
    NodeType("i3.xlarge", 4, 31232, "Storage Optimized", 1.0),
    NodeType("i3.2xlarge", 8, 62464, "Storage Optimized", 2.0),
    NodeType("p4d.24xlarge", 96, 1179648, "GPU Accelerated", 37.0),
)}


def node_type(node_type_id: str) -> NodeType:
    """The node type, or the 400 a workspace answers for one it does not offer."""
    found = NODE_TYPES.get(node_type_id)
    if found is None:
        raise invalid_parameter(f"Node type {node_type_id} is not supported. Supported node types: {sorted(NODE_TYPES)}.")
    return found
