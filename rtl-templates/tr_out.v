// @@P@@_out: the array's quantized output stage (hand-written leaf), shared by all columns: the read-out
// feeds it one result per cycle together with that output channel's parameters.
//   y = clamp(((acc + bias) * mul) >>> shift), optional ReLU, to the symmetric range of BX bits
// ">>>" is an arithmetic shift of the exact product (floor). With MULW = 0 the multiplier is absent and
// mul is ignored (the scale is a pure power of two: y = clamp((acc + bias) >>> shift)).
// Register stages: bias add, multiply (only with MULW > 0), shift, clamp: four, or three for a shift-only
// design (gen/config.ts outStages). The raw accumulator and a tag (the item's row and column) travel alongside.
module @@P@@_out #(
    parameter ACCW = 24,  // accumulator width
    parameter BBW  = 24,  // bias width (signed)
    parameter MBW  = 16,  // port width of mul (>= 1)
    parameter MULW = 16,  // multiplier width actually used (0: no multiplier)
    parameter SW   = 6,   // shift amount width
    parameter BX   = 8,   // output width (symmetric range +-(2^(BX-1)-1))
    parameter TAGW = 2    // width of the tag carried along
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire                 in_v,
    input  wire [ACCW-1:0]      in_acc,
    input  wire [BBW-1:0]       in_bias,
    input  wire [MBW-1:0]       in_mul,
    input  wire [SW-1:0]        in_shift,
    input  wire                 in_relu,
    input  wire [TAGW-1:0]      in_tag,
    output reg                  out_v,
    output reg  [TAGW-1:0]      out_tag,
    output reg  [BX-1:0]        out_y,
    output reg  [ACCW-1:0]      out_acc
);
    localparam SUMW = ((ACCW > BBW) ? ACCW : BBW) + 1;
    localparam PW   = SUMW + MULW + 1;
    localparam signed [PW-1:0] YMAX = (1 <<< (BX - 1)) - 1;

    // stage 1: bias
    reg [TAGW-1:0]        tag1;
    reg                   v1, relu1;
    reg [ACCW-1:0]        acc1;
    reg signed [SUMW-1:0] sum1;
    reg [MBW-1:0]         mul1;
    reg [SW-1:0]          sh1;
    wire signed [SUMW-1:0] acc_x  = {{(SUMW-ACCW){in_acc[ACCW-1]}}, in_acc};
    wire signed [SUMW-1:0] bias_x = {{(SUMW-BBW){in_bias[BBW-1]}}, in_bias};
    always @(posedge clk) begin
        if (rst) begin
            v1 <= 1'b0; relu1 <= 1'b0; acc1 <= {ACCW{1'b0}}; sum1 <= {SUMW{1'b0}}; mul1 <= {MBW{1'b0}}; sh1 <= {SW{1'b0}};
            tag1 <= {TAGW{1'b0}};
        end else begin
            v1 <= in_v; relu1 <= in_relu; acc1 <= in_acc; tag1 <= in_tag;
            sum1 <= acc_x + bias_x; mul1 <= in_mul; sh1 <= in_shift;
        end
    end

    // stage 2: scale (only with a multiplier; a shift-only design goes from the bias stage to the shift)
    wire [TAGW-1:0]      tag2;
    wire                 v2, relu2;
    wire [ACCW-1:0]      acc2;
    wire signed [PW-1:0] prod2;
    wire [SW-1:0]        sh2;
    generate
        if (MULW > 0) begin : g_mul
            wire signed [MULW:0] mul_s = {1'b0, mul1[MULW-1:0]};
            reg [TAGW-1:0]      r_tag;
            reg                 r_v, r_relu;
            reg [ACCW-1:0]      r_acc;
            reg signed [PW-1:0] r_prod;
            reg [SW-1:0]        r_sh;
            always @(posedge clk) begin
                if (rst) begin
                    r_v <= 1'b0; r_relu <= 1'b0; r_acc <= {ACCW{1'b0}}; r_prod <= {PW{1'b0}}; r_sh <= {SW{1'b0}};
                    r_tag <= {TAGW{1'b0}};
                end else begin
                    r_v <= v1; r_relu <= relu1; r_acc <= acc1; r_tag <= tag1;
                    r_prod <= sum1 * mul_s; r_sh <= sh1;
                end
            end
            assign {tag2, v2, relu2, acc2, prod2, sh2} = {r_tag, r_v, r_relu, r_acc, r_prod, r_sh};
        end else begin : g_nomul
            assign {tag2, v2, relu2, acc2, sh2} = {tag1, v1, relu1, acc1, sh1};
            assign prod2 = {{(PW-SUMW){sum1[SUMW-1]}}, sum1};
            /* verilator lint_off UNUSED */
            wire unused_mul = |mul1;   // shift-only design: the multiplier field is ignored
            /* verilator lint_on UNUSED */
        end
    endgenerate

    // stage 3: shift; stage 4: clamp
    reg [TAGW-1:0]      tag3;
    reg                 v3, relu3;
    reg [ACCW-1:0]      acc3;
    reg signed [PW-1:0] sh3;
    // the clamp's two tests as reductions of the bits above the output range, not as comparisons (a comparison
    // with a constant maps to a carry chain whose sums are unused: a logic cell per bit with nothing else in it)
    //   sh3 >  YMAX = 2^(BX-1)-1  <=>  sh3 >= 0 and some bit in [PW-2 : BX-1] is set
    //   sh3 < -YMAX               <=>  sh3 <  0 and (some bit in [PW-2 : BX-1] is clear, or sh3[BX-2:0] = 0:
    //                                  with all of them set that is sh3 = -2^(BX-1), the one value left below -YMAX)
    wire up1 = |sh3[PW-2:BX-1];
    wire up0 = &sh3[PW-2:BX-1];
    wire c_hi = !sh3[PW-1] && up1;
    wire c_lo = sh3[PW-1] && (!up0 || (sh3[BX-2:0] == {(BX-1){1'b0}}));
    always @(posedge clk) begin
        if (rst) begin
            v3 <= 1'b0; out_v <= 1'b0; relu3 <= 1'b0; acc3 <= {ACCW{1'b0}}; out_acc <= {ACCW{1'b0}};
            sh3 <= {PW{1'b0}}; out_y <= {BX{1'b0}}; tag3 <= {TAGW{1'b0}}; out_tag <= {TAGW{1'b0}};
        end else begin
            v3 <= v2; relu3 <= relu2; acc3 <= acc2; tag3 <= tag2;
            sh3 <= prod2 >>> sh2;

            out_v <= v3; out_acc <= acc3; out_tag <= tag3;
            if (c_hi)                            out_y <= YMAX[BX-1:0];
            else if (relu3 && sh3[PW-1])         out_y <= {BX{1'b0}};
            else if (c_lo)                       out_y <= -YMAX[BX-1:0];
            else                                 out_y <= sh3[BX-1:0];
        end
    end
endmodule
