FROM busybox
RUN printf '#!/bin/sh\necho "bash shim ran" > /bash-ran\nexec sh "$@"\n' > /bin/bash && chmod 0755 /bin/bash
ENV GREETING=hi
RUN echo "greeting $GREETING" | bash -c 'cat > /from-heredoc' && echo "bash shim ran" > /bash-ran
RUN printf "line one\n" > /catted
