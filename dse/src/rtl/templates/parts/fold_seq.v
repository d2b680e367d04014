    // ---------------------------------------------------------------- fold sequencer
    // Column folds run outermost, row folds inside them. s counts the cycles of a fold,
    // 0 .. p_last; rows_left/cols_left: spatial rows/columns not yet covered by earlier row/
    // column folds (the fold is the last row fold when rows_left <= R). The west vectors
    // restart at every column fold; the dataflow drives `west_step` (one west read a cycle).
    reg            run;
    reg [PW-1:0]   s;
    reg [PW-1:0]   p_last;
    reg [DW-1:0]   sr;
    reg [DW-1:0]   rows_left;
    reg [DW-1:0]   cols_left;
    reg [WAW-1:0]  west_base;
    reg [WAW-1:0]  west_ptr;
    wire           west_step;

    wire accept = start && !busy;
    wire [PW-1:0] cfg_t = {{(PW-DW){1'b0}}, @@T_DIM@@};
    wire fold_end = run && (s == p_last);
    wire last_row_fold = rows_left <= R_D;
    wire last_col_fold = cols_left <= C_D;

    assign fold_start = run && (s == {PW{1'b0}});
    assign west_re = west_step;
    assign west_raddr = west_ptr;

    always @(posedge clk) begin
        if (rst) begin
            run <= 1'b0;
            s <= {PW{1'b0}};
            p_last <= {PW{1'b0}};
            sr <= {DW{1'b0}};
            rows_left <= {DW{1'b0}};
            cols_left <= {DW{1'b0}};
            west_base <= {WAW{1'b0}};
            west_ptr <= {WAW{1'b0}};
        end else if (accept) begin
            run <= 1'b1;
            s <= {PW{1'b0}};
            p_last <= cfg_t + P_FILL;
            sr <= @@SR_DIM@@;
            rows_left <= @@SR_DIM@@;
            cols_left <= @@SC_DIM@@;
            west_base <= cfg_west_base;
            west_ptr <= cfg_west_base;
        end else if (run) begin
            // west_step and fold_end never coincide (each dataflow's p_last is past its reads).
            if (west_step) west_ptr <= west_ptr + WA_ONE;
            if (fold_end) begin
                s <= {PW{1'b0}};
                if (last_row_fold) begin
                    if (last_col_fold) run <= 1'b0;
                    rows_left <= sr;
                    cols_left <= cols_left - C_D;
                    west_ptr <= west_base;
                end else begin
                    rows_left <= rows_left - R_D;
                end
            end else begin
                s <= s + P_ONE;
            end
        end
    end
