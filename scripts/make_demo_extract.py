"""Cut the Dutch demo extract (data/delft-tu-zuid.osm.pbf) from the shared Delft extract.

Keeps every node in the box, every way with a node in the box (complete, with all its nodes,
so that streets reach beyond the box), and multipolygon relations with a member way among those
(with all their member ways, complete). Administrative boundaries are left out (the demo scores
the extent of the data). The file header records the box, so geoschikt knows the data extent.

    python scripts/make_demo_extract.py [SOURCE] [TARGET]
"""

from __future__ import annotations

import sys
from pathlib import Path

import osmium

BOX = (4.355, 51.995, 4.386, 52.005)  # left, bottom, right, top: the box of the source cut
ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "delft" / "tudelft.osm.pbf"
TARGET = ROOT / "data" / "delft-tu-zuid.osm.pbf"


def cut(source: Path, target: Path, box: tuple[float, float, float, float] = BOX) -> None:
    left, bottom, right, top = box
    in_box: set[int] = set()
    ways: set[int] = set()
    nodes: set[int] = set()
    relations: set[int] = set()
    member_ways: set[int] = set()
    for obj in osmium.FileProcessor(str(source)):
        if isinstance(obj, osmium.osm.Node):
            loc = obj.location
            if loc.valid() and left <= loc.lon <= right and bottom <= loc.lat <= top:
                in_box.add(obj.id)
        elif isinstance(obj, osmium.osm.Way):
            refs = [n.ref for n in obj.nodes]
            if any(r in in_box for r in refs):
                ways.add(obj.id)
                nodes.update(refs)
        elif isinstance(obj, osmium.osm.Relation):
            if obj.tags.get("type") not in ("multipolygon", "building"):
                continue
            members = [m.ref for m in obj.members if m.type == "w"]
            if any(m in ways for m in members):
                relations.add(obj.id)
                member_ways.update(members)
    extra = member_ways - ways
    if extra:
        for obj in osmium.FileProcessor(str(source), osmium.osm.WAY):
            if obj.id in extra:
                nodes.update(n.ref for n in obj.nodes)
    ways |= member_ways
    nodes |= in_box
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    header = osmium.io.Header()
    header.add_box(
        osmium.osm.Box(osmium.osm.Location(left, bottom), osmium.osm.Location(right, top))
    )
    header.set("generator", "geoschikt scripts/make_demo_extract.py (pyosmium)")
    writer = osmium.SimpleWriter(str(target), header=header)
    try:
        for obj in osmium.FileProcessor(str(source)):
            if isinstance(obj, osmium.osm.Node) and obj.id in nodes:
                writer.add_node(obj)
            elif isinstance(obj, osmium.osm.Way) and obj.id in ways:
                writer.add_way(obj)
            elif isinstance(obj, osmium.osm.Relation) and obj.id in relations:
                writer.add_relation(obj)
    finally:
        writer.close()
    print(
        f"{target}: {target.stat().st_size / 1e6:.2f} MB, {len(nodes)} nodes, {len(ways)} ways, "
        f"{len(relations)} relations"
    )


if __name__ == "__main__":
    args = sys.argv[1:]
    cut(Path(args[0]) if args else SOURCE, Path(args[1]) if len(args) > 1 else TARGET)
