/*
 * rnnc_tanh_s16.c - int16 tanh via the sigmoid table, tanh(x) = 2 sigmoid(2x) - 1 (portable C).
 */
#include "rnnc_sigmoid_table.h"
#include "rnnc_tanh_s16.h"

void rnnc_tanh_s16(const int16_t *in, int16_t *out, int32_t n, int32_t input_left_shift)
{
    int32_t k;
    for (k = 0; k < n; k++) {
        int32_t v;
        uint32_t a, uh;
        int32_t r;
        if (input_left_shift >= 0) {
            v = (int32_t)in[k] * (3 << input_left_shift);
        } else {
            /* floor((3x + round) / 2^s): exact division of the floor-adjusted value */
            const int32_t s = -input_left_shift;
            const int32_t t = (int32_t)in[k] * 3 + (1 << (s - 1));
            const int32_t d = 1 << s;
            v = t >= 0 ? t / d : -((-t + d - 1) / d);
        }
        a = (uint32_t)(v < 0 ? -v : v);
        uh = a >> 8;
        if (uh >= 255u) {
            r = (int32_t)(0xFFFFu << 8);
        } else {
            const uint32_t ua = rnnc_sigmoid_table_u16[uh];
            const uint32_t ub = rnnc_sigmoid_table_u16[uh + 1];
            r = (int32_t)((ua << 8) + (a & 0xFFu) * (ub - ua));
        }
        r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
        /* floor division by 2^8 (the reference shifts right arithmetically) */
        out[k] = (int16_t)(r >= 0 ? r / 256 : -((-r + 255) / 256));
    }
}
