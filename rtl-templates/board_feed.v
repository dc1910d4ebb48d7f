// @@P@@_board_feed: streams words of a board RAM into a valid/ready stream (hand-written board leaf).
// A queue of up to 2**QAW address ranges [first, last] (inclusive, first <= last) is read back to back with no
// gap between ranges. The RAM's read register is the stream's data register: out_re/out_addr drive the RAM's
// read port, and a read is issued whenever the data register is empty or being consumed this cycle
// (!out_valid || in_ready), so with a ready consumer the stream delivers one word per cycle and out_valid
// stays high. in_clr drops every queued range and the word on offer.
module @@P@@_board_feed #(
    parameter AW  = 8,   // RAM address width
    parameter QAW = 2    // log2 of the range-queue depth
) (
    input  wire          clk,
    input  wire          in_clr,
    // range queue
    input  wire          in_push,
    input  wire [AW-1:0] in_first,
    input  wire [AW-1:0] in_last,
    output wire          out_room,
    // RAM read port
    output wire          out_re,
    output wire [AW-1:0] out_addr,
    // stream (data = the RAM's out_rdata)
    output reg           out_valid,
    input  wire          in_ready
);
    localparam QD = 1 << QAW;
    reg [2*AW-1:0] q [0:QD-1];
    reg [QAW:0]    wp, rp;
    wire           q_empty = (wp == rp);
    wire           q_full  = (wp[QAW] != rp[QAW]) && (wp[QAW-1:0] == rp[QAW-1:0]);
    wire [2*AW-1:0] q_head = q[rp[QAW-1:0]];
    wire [AW-1:0]  q_first = q_head[AW-1:0];
    wire [AW-1:0]  q_last  = q_head[2*AW-1:AW];

    reg            act;           // a range is being read: next address addr, ends at last
    reg [AW-1:0]   addr, last;
    wire           take = !out_valid || in_ready;
    wire           have = act || !q_empty;

    assign out_room = !q_full;
    assign out_re   = take && have;
    assign out_addr = act ? addr : q_first;

    always @(posedge clk) begin
        if (in_push && !q_full) q[wp[QAW-1:0]] <= {in_last, in_first};
    end

    always @(posedge clk) begin
        if (in_clr) begin
            wp <= {(QAW+1){1'b0}};
            rp <= {(QAW+1){1'b0}};
            act <= 1'b0;
            addr <= {AW{1'b0}};
            last <= {AW{1'b0}};
            out_valid <= 1'b0;
        end else begin
            if (in_push && !q_full) wp <= wp + 1'b1;
            if (take) out_valid <= have;
            if (take && have) begin
                if (act) begin
                    if (addr == last) act <= 1'b0;
                    else addr <= addr + 1'b1;
                end else begin
                    rp <= rp + 1'b1;
                    act <= (q_first != q_last);
                    addr <= q_first + 1'b1;
                    last <= q_last;
                end
            end
        end
    end
endmodule
