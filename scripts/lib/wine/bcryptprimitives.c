/*
 * bcryptprimitives.dll for Wine 8, which lacks it: one export, ProcessPrng, filled from
 * RtlGenRandom (advapi32's SystemFunction036, which Wine has).
 *
 * Why: Rust's standard library (since 1.78) imports ProcessPrng from bcryptprimitives.dll for
 * its random numbers, so every Rust program built for Windows exits at once with status 53 (DLL
 * not found, c0000135) under Wine 8. scripts/lib/setup-wine.sh builds this with MinGW and puts it
 * in the suite's private Wine prefix only. Real Windows (8 and later) has the DLL: nothing of this
 * ships, and no Windows machine ever sees it.
 */
#include <windows.h>
#include <ntsecapi.h>

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!RtlGenRandom(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved)
{
    (void)instance;
    (void)reason;
    (void)reserved;
    return TRUE;
}
