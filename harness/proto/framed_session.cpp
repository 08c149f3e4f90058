#include "proto/framed_session.h"
