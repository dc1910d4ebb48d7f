// @@P@@_uart_tx: 8N1 UART transmitter (hand-written board leaf). A byte is accepted when in_valid and
// out_ready are both high; it is sent as a start bit (low), 8 data bits LSB first and one stop bit (high),
// each CLKS_PER_BIT cycles long. out_ready is high while the transmitter is idle; a byte offered at once
// starts one cycle after the stop bit ends (the stop bit of back-to-back bytes is CLKS_PER_BIT+1 cycles long,
// well within any receiver's tolerance). The line is high after reset.
module @@P@@_uart_tx #(
    parameter CLKS_PER_BIT = 104
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       in_valid,
    input  wire [7:0] in_data,
    output wire       out_ready,
    output reg        out_tx
);
    localparam CW = $clog2(CLKS_PER_BIT + 1);
    localparam [CW-1:0] FULL = CLKS_PER_BIT - 1;

    reg          busy;
    reg [CW-1:0] cnt;
    reg [3:0]    bitn;   // bits left to send after the current one
    reg [8:0]    sh;     // {stop, data} still to send

    assign out_ready = !busy;

    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            cnt <= {CW{1'b0}};
            bitn <= 4'd0;
            sh <= 9'h1ff;
            out_tx <= 1'b1;
        end else if (!busy) begin
            out_tx <= 1'b1;
            if (in_valid) begin
                busy <= 1'b1;
                out_tx <= 1'b0;          // start bit
                sh <= {1'b1, in_data};
                cnt <= FULL;
                bitn <= 4'd9;
            end
        end else if (cnt != {CW{1'b0}}) begin
            cnt <= cnt - 1'b1;
        end else if (bitn == 4'd0) begin
            busy <= 1'b0;                // stop bit done
            out_tx <= 1'b1;
        end else begin
            out_tx <= sh[0];
            sh <= {1'b1, sh[8:1]};
            cnt <= FULL;
            bitn <= bitn - 4'd1;
        end
    end
endmodule
