    // The signed product, sign-extended to the accumulator.
    wire signed [2*W-1:0] prod = $signed(a) * $signed(@@MUL_B@@);
    wire [ACC-1:0] prod_x;
    generate
        if (ACC > 2 * W) begin : g_sext
            assign prod_x = {{(ACC - 2 * W){prod[2*W-1]}}, prod};
        end else begin : g_fit
            assign prod_x = prod;
        end
    endgenerate
