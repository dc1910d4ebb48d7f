// @@P@@_bench_src: stimulus source of a benchmark wrapper (hand-written board-wrapper leaf). A power-on reset
// (held for 16 cycles) and a free-running 32-bit Galois LFSR with an external input (the UART RX pin) mixed
// into its feedback, so synthesis can treat no core input as a constant. The LEDs get their own copy of the
// LFSR (out_led), so no flip-flop that drives a core input also drives a pad: a pad's long route would
// otherwise sit on the core's input paths and lower the Fmax measured for the core. The copy is inverted: a
// plain copy of bit i is the same flip-flop as LFSR bit i+1 wherever the polynomial has no tap (both take bit
// i), and yosys merges identical flip-flops, which put a pad back on a core input's path.
module @@P@@_bench_src #(
    parameter LW = 7     // LED bits (1..32)
) (
    input  wire        clk,
    input  wire        in_mix,
    output wire        out_rst,
    output reg  [31:0] out_rnd,
    output reg  [LW-1:0] out_led
);
    reg [4:0] por = 5'd0;
    assign out_rst = !por[4];
    always @(posedge clk) begin
        if (!por[4]) por <= por + 5'd1;
        // x^32 + x^22 + x^2 + x + 1
        out_rnd <= {out_rnd[30:0], 1'b0} ^ ((out_rnd[31] ^ in_mix) ? 32'h0040_0007 : 32'h0);
        out_led <= ~out_rnd[LW-1:0];
    end
endmodule
