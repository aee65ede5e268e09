using System.Runtime.CompilerServices;

namespace GpuAe.Random;

/// <summary>
/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11): a
/// counter-based generator. Block (counter, key) -> four 32-bit words with no state, so any backend
/// computes element i of a stream independently and all backends agree bit for bit on the words.
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>The four words of block <paramref name="counter"/> under key <paramref name="seed"/>.</summary>
    public static (uint X0, uint X1, uint X2, uint X3) Block(ulong counter, ulong seed)
    {
        uint c0 = (uint)counter, c1 = (uint)(counter >> 32), c2 = 0, c3 = 0;
        uint k0 = (uint)seed, k1 = (uint)(seed >> 32);
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
            uint n1 = (uint)p1;
            uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
            uint n3 = (uint)p0;
            c0 = n0; c1 = n1; c2 = n2; c3 = n3;
            k0 += W0; k1 += W1;
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>Word <paramref name="index"/> of the stream (seed, offset): block offset + index/4, word index%4.</summary>
    public static uint Word(ulong seed, ulong offset, ulong index)
    {
        var (x0, x1, x2, x3) = Block(offset + index / 4, seed);
        return (index % 4) switch { 0 => x0, 1 => x1, 2 => x2, _ => x3 };
    }

    /// <summary>Uniform in [0, 1) from the top 24 bits (exact in float32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUniform(uint word) => (word >> 8) * (1.0f / 16777216f);

    /// <summary>Uniform in (0, 1]: safe for log().</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float ToUniformPositive(uint word) => ((word >> 8) + 1) * (1.0f / 16777216f);

    /// <summary>
    /// Standard normal for element <paramref name="index"/>: elements 2j and 2j+1 of a block share one
    /// Box-Muller pair (u1 from word 2j, u2 from word 2j+1); the even one takes the cosine.
    /// </summary>
    public static float Normal(ulong seed, ulong offset, ulong index)
    {
        var (x0, x1, x2, x3) = Block(offset + index / 4, seed);
        int lane = (int)(index % 4);
        uint a = lane < 2 ? x0 : x2, b = lane < 2 ? x1 : x3;
        float radius = MathF.Sqrt(-2f * MathF.Log(ToUniformPositive(a)));
        float angle = 2f * MathF.PI * ToUniform(b);
        return (lane & 1) == 0 ? radius * MathF.Cos(angle) : radius * MathF.Sin(angle);
    }

    /// <summary>A Fisher-Yates permutation of 0..n-1 drawn from the stream (seed, offset). The same
    /// (seed, offset) gives the same order on every machine.</summary>
    public static void Permutation(Span<int> destination, ulong seed, ulong offset)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = i;
        for (int i = destination.Length - 1; i > 0; i--)
        {
            // 64 random bits per draw keep the modulo bias below 2^-40 for any dataset size.
            ulong r = ((ulong)Word(seed, offset, 2 * (ulong)i) << 32) | Word(seed, offset, 2 * (ulong)i + 1);
            int j = (int)(r % (ulong)(i + 1));
            (destination[i], destination[j]) = (destination[j], destination[i]);
        }
    }
}
