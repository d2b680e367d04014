    // `done` one cycle after the last output word is written; busy falls with it.
    always @(posedge clk) begin
        if (rst) begin
            busy <= 1'b0;
            done <= 1'b0;
        end else begin
            done <= o_v && o_final;
            if (accept) busy <= 1'b1;
            else if (o_v && o_final) busy <= 1'b0;
        end
    end
endmodule

`default_nettype wire
