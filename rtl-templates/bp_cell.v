// @@P@@_cell: one MAC cell of the bit-parallel baseline array (hand-written leaf). Output stationary: the data
// bus {last, first, work, x} enters from the left and a weight from above; both are registered and forwarded
// (systolic in both directions). Every work cycle computes acc += w*x with one signed BW x BX multiply (plain
// Verilog `*`, so synthesis may use LUTs or a DSP block).
// Pipeline: input registers (xq, wq) -> product register (p) -> accumulator. The `first` flag restarts the
// accumulator; at the `last` step out_v pulses for one cycle with the tile result on out_res (zero otherwise,
// so a column's cells can be merged with an OR).
module @@P@@_cell #(
    parameter BX   = 8,   // data width (signed)
    parameter BW   = 8,   // weight width (signed)
    parameter ACCW = 24   // accumulator width (signed)
) (
    input  wire              clk,
    input  wire              rst,
    input  wire [BX+2:0]     in_x,     // {last, first, work, x}
    input  wire [BW-1:0]     in_w,
    output wire [BX+2:0]     out_x,
    output wire [BW-1:0]     out_w,
    output reg               out_v,    // one-cycle pulse: out_res holds the tile result
    output wire [ACCW-1:0]   out_res
);
    localparam PW = BX + BW;

    reg [BX+2:0] xq;
    reg [BW-1:0] wq;
    assign out_x = xq;
    assign out_w = wq;

    always @(posedge clk) begin
        if (rst) begin
            xq <= {(BX+3){1'b0}};
            wq <= {BW{1'b0}};
        end else begin
            xq <= in_x;
            wq <= in_w;
        end
    end

    // ---- stage 1: signed product ----
    wire signed [BX-1:0] xs = xq[BX-1:0];
    wire signed [BW-1:0] ws = wq;
    wire signed [PW-1:0] prod = xs * ws;
    reg  [PW-1:0] p;
    reg           p_work, p_first, p_last;
    always @(posedge clk) begin
        if (rst) begin
            p <= {PW{1'b0}};
            p_work <= 1'b0; p_first <= 1'b0; p_last <= 1'b0;
        end else begin
            p <= prod;
            p_work  <= xq[BX];
            p_first <= xq[BX+1];
            p_last  <= xq[BX+2];
        end
    end

    // ---- stage 2: accumulate ----
    reg  [ACCW-1:0] acc;
    wire [ACCW-1:0] base   = p_first ? {ACCW{1'b0}} : acc;
    // the product sign-extended (or, when ACCW < PW, truncated) to ACCW bits: accumulation is modulo 2^ACCW and
    // ACCW holds every legal tile result, so either is exact
    /* verilator lint_off UNUSED */
    wire [PW+ACCW-1:0] p_ext = {{ACCW{p[PW-1]}}, p};
    /* verilator lint_on UNUSED */
    wire [ACCW-1:0] acc_nx = base + p_ext[ACCW-1:0];
    always @(posedge clk) begin
        if (rst) begin
            acc <= {ACCW{1'b0}};
            out_v <= 1'b0;
        end else begin
            if (p_work) acc <= acc_nx;
            out_v <= p_work & p_last;
        end
    end
    assign out_res = {ACCW{out_v}} & acc;
endmodule
