//! `static_graph::svg` (the `svg` feature): the seed graph's and a CNN's pictures are SVG that
//! an XML parser reads, with every node's label as text, the backward nodes drawn as blue
//! ellipses and the forward ones as boxes.

use static_graph::graph;

graph! {
    /// The seed graph.
    pub mod seed {
        placeholder x: [f32; 5];
        placeholder y_true: [f32; 5];
        variable w: [f32; 5];
        let logits = x * w;
        let y = softmax(logits);
        let loss = pow(y - y_true, 2);
        let cost = mean(loss);
        minimize cost;
    }
}

graph! {
    /// A small CNN.
    pub mod cnn {
        placeholder x: [f32; batch, 6, 6, 1];
        placeholder labels: [i32; batch];
        variable k: [f32; 3, 3, 1, 2] = glorot_uniform;
        variable w: [f32; 18, 2] = glorot_uniform;
        let h = max_pool(relu(conv2d(x, k, padding = same)), size = 2);
        let cost = mean(sparse_softmax_cross_entropy(matmul(reshape(h, [batch, 18]), w), labels));
        minimize cost;
    }
}

/// Each node of `dot` (petgraph's form: `N [ label = "...", shape = ... ]`): its label's lines
/// and whether it is an ellipse.
fn nodes(dot: &str) -> Vec<(Vec<String>, bool)> {
    dot.lines()
        .filter(|line| !line.contains("->"))
        .filter_map(|line| {
            let (_, rest) = line.split_once("label = \"")?;
            let (label, attributes) = rest.split_once('"')?;
            let lines = label.split("\\n").map(str::to_owned).collect();
            Some((lines, attributes.contains("ellipse")))
        })
        .collect()
}

fn check(dot: &str) {
    let picture = static_graph::svg(dot);
    let document = roxmltree::Document::parse(&picture).expect("the SVG is well-formed XML");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let texts: Vec<String> = document
        .descendants()
        .filter(|n| n.has_tag_name("tspan"))
        .filter_map(|n| n.text().map(str::to_owned))
        .collect();
    let nodes = nodes(dot);
    assert!(nodes.len() > 10, "{dot}");
    for (lines, _) in &nodes {
        for line in lines {
            // XML text unescaped, as the reader sees it.
            assert!(texts.iter().any(|t| t == line), "`{line}` is drawn: {texts:?}");
        }
    }
    let ellipses = document.descendants().filter(|n| n.has_tag_name("ellipse")).count();
    let backward = nodes.iter().filter(|(_, ellipse)| *ellipse).count();
    assert_eq!(ellipses, backward, "one ellipse per backward node");
    let blue = document
        .descendants()
        .filter(|n| n.has_tag_name("ellipse") && n.attribute("stroke") == Some("#0000ffff"))
        .count();
    assert_eq!(blue, backward, "the backward nodes are blue");
    let boxes = document.descendants().filter(|n| n.has_tag_name("rect")).count();
    assert!(boxes >= nodes.len() - backward, "a box per forward node");
}

#[test]
fn the_pictures_hold_every_node_with_its_label() {
    check(seed::DOT);
    check(cnn::DOT);
    // The derived gradients are labelled with their formulas.
    assert!(seed::DOT.contains("d_y = 0.4 * (y - y_true)"), "{}", seed::DOT);
}
