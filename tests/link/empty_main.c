/*
 * empty_main.c — the program `make check-layers` links with a whole
 * library (--whole-archive): every object of the library must then resolve
 * against the libraries its layer may use and nothing else.
 */
int main(void)
{
    return 0;
}
