//! `STATIC_GRAPH_DUMP=DIR` makes the macro write the graph before and after every pass as DOT
//! files (a test binary of its own, since it sets the variable for the whole process).

#[test]
fn every_pass_is_dumped_before_and_after() {
    let dir = std::env::temp_dir().join(format!("static-graph-dump-{}", std::process::id()));
    std::env::set_var("STATIC_GRAPH_DUMP", &dir);
    let input: proc_macro2::TokenStream =
        "mod dumped { placeholder x: [f32; 3]; variable w: [f32; 3]; let cost = mean(softmax(x * w)); minimize cost; }"
            .parse()
            .unwrap();
    graph_syntax::try_expand(input).expect("compiles");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    for pass in ["stabilize", "simplify", "cse", "dce", "strength_reduce", "legalize"] {
        assert!(
            files.iter().any(|f| f.contains(pass) && f.ends_with("before.dot")),
            "{pass}: {files:?}"
        );
        assert!(
            files.iter().any(|f| f.contains(pass) && f.ends_with("after.dot")),
            "{pass}: {files:?}"
        );
    }
    let legalized = files
        .iter()
        .find(|f| f.contains("legalize") && f.ends_with("after.dot"))
        .unwrap();
    let text = std::fs::read_to_string(dir.join(legalized)).unwrap();
    assert!(
        text.starts_with("digraph") && text.contains("max"),
        "softmax is legalised into max, exp and sum"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
