# check=skip=MaintainerDeprecated,JSONArgsRecommended;error=true
FROM alpine
MAINTAINER me
CMD run me
