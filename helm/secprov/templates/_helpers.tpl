{{/*
Names are fixed (not prefixed by the release) so that they match deploy/operator/ and the
operator's own defaults (Lease secprov-operator, Service secprov-webhook in the serving
certificate, webhook configurations named as --webhook-configuration-name).
*/}}
{{- define "secprov.name" -}}secprov-operator{{- end }}

{{- define "secprov.serviceAccountName" -}}
{{- .Values.serviceAccount.name | default (ternary "secprov-operator" "default" .Values.serviceAccount.create) -}}
{{- end }}

{{/* Labels every object of the release carries. */}}
{{- define "secprov.labels" -}}
app.kubernetes.io/name: secprov
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{/* The operator Pods: Deployment selector, Services, PDB, NetworkPolicy. */}}
{{- define "secprov.selectorLabels" -}}
app.kubernetes.io/name: secprov
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "secprov.image" -}}
{{- printf "%s:%s" .repository (.tag | default .appVersion) -}}
{{- end }}

{{- define "secprov.crlBaseUrl" -}}
{{- if eq .Values.crlBaseUrl "" -}}
{{- printf "http://secprov-operator.%s.svc:%d" .Release.Namespace (int .Values.metrics.port) -}}
{{- else if ne .Values.crlBaseUrl "none" -}}
{{- .Values.crlBaseUrl -}}
{{- end -}}
{{- end }}
