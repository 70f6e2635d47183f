use static_graph::graph;

graph! {
    pub mod g {
        placeholder x: [f32; batch, 4];
        placeholder labels: [i32; batch];
        placeholder scores: [f32; batch];
        placeholder tokens: [i32; 4];
        variable counts: [i64; 4];
        variable table: [f32; 5, 4];
        variable w: [f32; 4, 3];
        const seven: [usize; 2] = [7, 7];
        let doubled = labels * 2.0;
        let picked = gather(table, scores);
        let hot = one_hot(labels, depth = w);
        let cold = one_hot(labels);
        let best = argmax(x);
        let same = labels == scores;
        let logits = matmul(x, w);
        let loss = sparse_softmax_cross_entropy(logits, scores);
        let rows = argmax(x, axis = (0, 1));
        let wide = sparse_softmax_cross_entropy(x, tokens);
        let open = sparse_softmax_cross_entropy(transpose(x), labels);
        let cost = mean(loss);
        minimize cost;
    }
}

fn main() {}
