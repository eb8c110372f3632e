/*
 * rnnc_fc_b16x4_group.h - the input side of the 16x4-packed int8 FCs: four inputs as one
 * little-endian word of bytes, the operand every path multiplies a 64-byte weight group by
 * (header only); each offset by +128 into 0..255 for rnnc_fc_s8_s16_b16x4, as they are for
 * rnnc_fc_s8_s16_b16x4_signed.
 */
#ifndef RNNC_FC_B16X4_GROUP_H
#define RNNC_FC_B16X4_GROUP_H

#include <stdint.h>
#include <string.h>

/* the 4 inputs of group kg, each + 128, as one little-endian word of bytes
   (inputs beyond in_size contribute 0: their packed weights are 0 too) */
static inline uint32_t rnnc_fc_group_u8(const int8_t *in, int32_t in_size, int32_t kg)
{
    uint32_t word = 0;
    int32_t j;
    if (kg * 4 + 4 <= in_size) { /* a full group: four bytes, each flipped to x + 128 */
        for (j = 0; j < 4; j++) {
            word |= (uint32_t)((uint8_t)in[kg * 4 + j] ^ 0x80u) << (8 * j);
        }
        return word;
    }
    for (j = 0; j < 4; j++) {
        const int32_t i = kg * 4 + j;
        const uint32_t q = i < in_size ? (uint32_t)((int32_t)in[i] + 128) : 0u;
        word |= q << (8 * j);
    }
    return word;
}

/* the same for the paths' inner loops: full groups (kg < full) are one 4-byte load */
static inline uint32_t rnnc_fc_word_u8(const int8_t *in, int32_t in_size, int32_t kg, int32_t full)
{
    uint32_t word;
    if (kg < full) {
        memcpy(&word, in + kg * 4, 4);
        return word ^ 0x80808080u; /* x + 128 in every byte */
    }
    return rnnc_fc_group_u8(in, in_size, kg);
}

/* the 4 inputs of group kg as they are (inputs beyond in_size count as 0: their packed weights
   are 0 too) */
static inline uint32_t rnnc_fc_word_s8(const int8_t *in, int32_t in_size, int32_t kg)
{
    uint32_t word = 0;
    int32_t j;
    if (kg * 4 + 4 <= in_size) {
        memcpy(&word, in + kg * 4, 4);
        return word;
    }
    for (j = 0; j < 4; j++) {
        const int32_t i = kg * 4 + j;
        word |= (i < in_size ? (uint32_t)(uint8_t)in[i] : 0u) << (8 * j);
    }
    return word;
}

#endif /* RNNC_FC_B16X4_GROUP_H */
