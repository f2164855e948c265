"""`luneo.core.typegen.views` without a database: reading pg_node_tree text and following view
column origins (the integration tests read real rewrite rules)."""

from __future__ import annotations

from luneo.core.typegen.catalog import Relationship
from luneo.core.typegen.views import (
    Exposures,
    ForeignKey,
    View,
    direct_origins,
    read_node_tree,
    relationships,
)


def entry(resno: int, table: int, column: int, *, junk: bool = False, name: str = "c") -> str:
    return (
        "{TARGETENTRY :expr {VAR :varno 1 :varattno 1 :vartype 23 :location 7} "
        f":resno {resno} :resname {name} :ressortgroupref 0 :resorigtbl {table} :resorigcol {column} "
        f":resjunk {'true' if junk else 'false'}}}"
    )


def query(*entries: str) -> str:
    return (
        "({QUERY :commandType 1 :utilityStmt <> :rtable ({RANGETBLENTRY :eref {ALIAS :aliasname t "
        ':colnames ("id" "u\\ id")} :relid 16392}) :jointree {FROMEXPR :fromlist ({RANGETBLREF :rtindex 1}) '
        ":quals {CONST :consttype 25 :constvalue 9 [ 36 0 0 0 32 40 120 41 32 ]}} "
        f":targetList ({' '.join(entries)}) :sortClause <>}})"
    )


def test_read_node_tree_nodes_lists_nulls_escapes_and_bytes() -> None:
    (tree,) = read_node_tree(query(entry(1, 10, 2, name="we\\(ird\\)\\ \\{name\\}")))
    assert tree["node"] == "QUERY"
    assert tree["utilityStmt"] is None
    assert tree["sortClause"] is None
    assert tree["rtable"][0]["eref"]["colnames"] == ['"id"', '"u id"']
    assert tree["jointree"]["quals"]["constvalue"] == [
        "9",
        "[",
        "36",
        "0",
        "0",
        "0",
        "32",
        "40",
        "120",
        "41",
        "32",
        "]",
    ]
    (target,) = tree["targetList"]
    assert target["resname"] == "we(ird) {name}"
    assert (target["resno"], target["resorigtbl"], target["resorigcol"]) == ("1", "10", "2")
    assert target["expr"] == {"node": "VAR", "varno": "1", "varattno": "1", "vartype": "23", "location": "7"}


def test_read_node_tree_deep_expressions() -> None:
    deep = "{OPEXPR :args (" * 3000 + "{CONST :constvalue <>}" + ")}" * 3000
    tree = read_node_tree(deep)
    for _ in range(3000):
        (tree,) = tree["args"]
    assert tree == {"node": "CONST", "constvalue": None}


def test_direct_origins_skip_junk_computed_and_unknown_columns() -> None:
    view = View(
        1,
        "public",
        "v",
        query(entry(1, 10, 1), entry(2, 0, 0), entry(3, 10, 3), entry(4, 10, 4, junk=True)),
        {1: "a", 2: "b", 3: "c"},
    )
    assert direct_origins(view) == {1: (10, 1), 3: (10, 3)}


def test_origins_follow_views_of_views_and_stop_on_a_cycle() -> None:
    inner = View(1, "public", "inner", query(entry(1, 10, 2)), {1: "x"})
    outer = View(2, "public", "outer", query(entry(1, 1, 1), entry(2, 1, 1)), {1: "y", 2: "z"})
    loop = View(3, "public", "loop", query(entry(1, 3, 1)), {1: "me"})
    exposures = Exposures([inner, outer, loop])
    assert exposures.origins[(2, 1)] == {(1, 1), (10, 2)}
    assert exposures.columns_from(outer, (10, 2)) == ["y", "z"]
    assert exposures.origins[(3, 1)] == {(3, 1)}


def test_relationships_from_to_and_between_views() -> None:
    fk = ForeignKey(
        Relationship("t_r_fkey", "public", "t", ("r_id",), "public", "r", ("id",), False), 10, (2,), 20, (1,)
    )
    over_t = View(1, "public", "tv", query(entry(1, 10, 2)), {1: "ref"})
    over_r = View(2, "public", "rv", query(entry(1, 20, 1)), {1: "key"})
    found = [
        (r.relation, r.columns, r.referenced_relation, r.referenced_columns)
        for r in relationships([fk], [over_t, over_r])
    ]
    assert found == [
        ("tv", ("ref",), "r", ("id",)),
        ("t", ("r_id",), "rv", ("key",)),
        ("tv", ("ref",), "rv", ("key",)),
    ]


def test_a_column_named_like_a_field() -> None:
    # names are written unquoted: a value may start with a colon, but never goes missing
    view = View(
        1,
        "public",
        "v",
        query(entry(1, 10, 4, name=":resorigtbl"), entry(2, 10, 5, name=":resno")),
        {1: "a", 2: "b"},
    )
    (tree,) = read_node_tree(view.definition)
    assert [t["resname"] for t in tree["targetList"]] == [":resorigtbl", ":resno"]
    assert direct_origins(view) == {1: (10, 4), 2: (10, 5)}
