FROM busybox
ENV SET=yes EMPTY= FILE=archive.tar.gz
ENV W=dash V= P=plus N=
ENV BASE=archive EXT=tar.gz SUB=archive.zip.gz
RUN echo "$W|$V|$P|$N|$BASE|$EXT|$SUB" > /forms
