// @@P@@_delay: D-cycle delay line of a W-bit bus (hand-written leaf). Used for the
// systolic skew of data rows / weight columns and to de-skew the column results. D >= 1 (the generator
// wires D = 0 directly).
module @@P@@_delay #(
    parameter W = 8,
    parameter D = 1
) (
    input  wire         clk,
    input  wire         rst,
    input  wire [W-1:0] in_d,
    output wire [W-1:0] out_d
);
    reg [W-1:0] q [0:D-1];
    integer i;
    always @(posedge clk) begin
        if (rst) begin
            for (i = 0; i < D; i = i + 1) q[i] <= {W{1'b0}};
        end else begin
            q[0] <= in_d;
            for (i = 1; i < D; i = i + 1) q[i] <= q[i-1];
        end
    end
    assign out_d = q[D-1];
endmodule
