// @@P@@_board_ram: simple dual-port synchronous RAM, W bits x 2**AW words (hand-written board leaf).
// One write port and one read port on the same clock; a read returns mem[in_raddr] in the cycle after
// in_re and out_rdata then holds its value until the next read (the read register has an enable), which lets
// the board use it directly as the data register of a valid/ready stream. The board never reads an address
// in the cycle it writes it, so the result of such a collision is left undefined (no_rw_check: yosys adds no
// bypass logic). Written as a plain inferred memory with no reset and no initial contents so yosys maps it to
// iCE40 SB_RAM40_4K blocks (4 kbit each: 256x16, 512x8, 1024x4, 2048x2) with nothing around them.
module @@P@@_board_ram #(
    parameter W  = 16,
    parameter AW = 8
) (
    input  wire          clk,
    input  wire          in_we,
    input  wire [AW-1:0] in_waddr,
    input  wire [W-1:0]  in_wdata,
    input  wire          in_re,
    input  wire [AW-1:0] in_raddr,
    output reg  [W-1:0]  out_rdata
);
    (* no_rw_check *)
    reg [W-1:0] mem [0:(1<<AW)-1];
    always @(posedge clk) begin
        if (in_we) mem[in_waddr] <= in_wdata;
        if (in_re) out_rdata <= mem[in_raddr];
    end
endmodule
