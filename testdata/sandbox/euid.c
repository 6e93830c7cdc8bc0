/* Prints the effective uid: installed setuid root, it shows whether the
 * sandbox lets setuid programs gain their owner's id. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("euid=%d\n", (int)geteuid());
    return 0;
}
