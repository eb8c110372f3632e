"""C emission: helpers, layer emitters (emit/layers/), and the frame that assembles them."""
