//! Views are not copied where the documentation says so: a product reads a reshape and a
//! slice of leading axes in its operand's buffer, and a transpose of its operands' last two
//! axes as a flag; only other views it reads are copied into the workspace.

fn expand(source: &str) -> String {
    let tokens = graph_syntax::try_expand(source.parse().unwrap()).unwrap_or_else(|e| panic!("{e}"));
    tokens.to_string()
}

/// The formula of each field of the generated `Workspace` (its doc comment): what it holds.
fn workspace_fields(expansion: &str) -> Vec<String> {
    let (_, rest) = expansion.split_once("pub struct Workspace").expect("a workspace");
    let (fields, _) = rest.split_once('}').expect("its end");
    fields
        .split("# [doc = \" `")
        .skip(1)
        .map(|doc| doc.split('`').next().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn products_read_reshapes_leading_slices_and_transposes_in_place() {
    let expansion = expand(
        "mod g { placeholder x: [f32; 3, 4]; placeholder table: [f32; 5, 4];
           variable w: [f32; 2, 3]; variable u: [f32; 4, 3];
           let cost = sum(matmul(reshape(x, [6, 2]), w)) + sum(matmul(table[1..4], u))
               + sum(matmul(transpose(x), transpose(u))) + sum(matmul(table[2], u));
           minimize cost; }",
    );
    let fields = workspace_fields(&expansion);
    // Products and their gradients; no copy of a view among the workspace's tensors.
    assert!(fields.iter().any(|f| f.starts_with("matmul(reshape(x")), "{fields:?}");
    for view in ["reshape(", "slice(", "transpose("] {
        assert!(
            !fields.iter().any(|f| f.starts_with(view)),
            "a view is copied: {fields:?}"
        );
    }
    // The slices are cut from the placeholder's own buffer: rows 1 to 3, and row 2.
    let compact: String = expansion.split_whitespace().collect();
    assert!(compact.contains("&table[4..][..12]"), "{expansion}");
    assert!(compact.contains("&table[8..][..4]"), "{expansion}");
    // The transposes are flags of the GEMM call: `x` and `u` are passed with `true`.
    assert!(compact.contains("matmul(4,3,4,x,true,u,true,"), "{expansion}");
}

#[test]
fn other_views_a_product_reads_are_copied_once() {
    // A transpose of a rank-3 tensor's first two axes is not a layout the GEMM reads.
    let expansion = expand(
        "mod g { placeholder x: [f32; 2, 3, 4]; variable w: [f32; 4, 5];
           let cost = sum(matmul(transpose(x, axes = (1, 0, 2)), w)); minimize cost; }",
    );
    let fields = workspace_fields(&expansion);
    assert!(
        fields.iter().any(|f| f == "transpose(x, axes = (1, 0, 2))"),
        "{fields:?}"
    );
}
