use static_graph::graph;

graph! {
    pub mod g {
        placeholder images: [f32; batch, 5, 5, 3];
        placeholder flat: [f32; batch, 25];
        variable filters: [f32; 3, 3, 3, 8];
        variable wrong_channels: [f32; 3, 3, 4, 8];
        variable wide: [f32; 7, 7, 3, 8];
        placeholder sized: [f32; batch, 3, 3, 8];
        let a = conv2d(flat, filters);
        let b = conv2d(images, wrong_channels);
        let c = conv2d(images, filters, padding = full);
        let d = conv2d(images, filters, stride = 0);
        let e = conv2d(images, filters, stride = (1, 2, 3));
        let f = conv2d(images, wide);
        let h = max_pool(images, size = 6);
        let k = conv2d(images, sized);
        let cost = sum(conv2d(images, filters));
        minimize cost;
    }
}

fn main() {}
