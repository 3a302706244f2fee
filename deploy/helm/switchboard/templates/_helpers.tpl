{{/* vim: set filetype=mustache: */}}

{{/* The services, in the order they are rendered. */}}
{{- define "switchboard.serviceNames" -}}
gateway rooms presence media attestation
{{- end -}}

{{- define "switchboard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified app name; truncated to leave room for "-attestation" so every
component name stays within 63 characters.
*/}}
{{- define "switchboard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Name of one component: (dict "root" $ "name" "rooms") -> <fullname>-rooms */}}
{{- define "switchboard.componentName" -}}
{{- printf "%s-%s" (include "switchboard.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "switchboard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Selector labels: (dict "root" $ "component" "gateway") */}}
{{- define "switchboard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchboard.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end -}}

{{/* Common labels: (dict "root" $ "component" "gateway"); component may be "" */}}
{{- define "switchboard.labels" -}}
helm.sh/chart: {{ include "switchboard.chart" .root }}
{{ include "switchboard.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: switchboard
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "switchboard.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag | toString) -}}
{{- end -}}

{{- define "switchboard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "switchboard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "switchboard.secretName" -}}
{{- default (include "switchboard.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* Secret keys a pod may start without (the feature is then off). */}}
{{- define "switchboard.optionalSecretKeys" -}}
ADMIN_API_KEYS LIVEKIT_API_KEY LIVEKIT_API_SECRET TURN_SECRET ATTESTATION_SIGNING_KEY ADMIN_JWT_SECRET NATS_PASSWORD_GATEWAY NATS_PASSWORD_ROOMS NATS_PASSWORD_PRESENCE NATS_PASSWORD_MEDIA NATS_PASSWORD_ATTESTATION SERVER_LIST_SIGNING_KEY S3_ACCESS_KEY_ID S3_SECRET_ACCESS_KEY
{{- end -}}

{{/*
Render errors instead of CreateContainerConfigError: each enabled service's database URL
must be set unless the Secret is brought by the operator (existingSecret, which must then
hold the same keys, NATS_URL and REDIS_URL included).
*/}}
{{- define "switchboard.requiredSecrets" -}}
{{- if not .Values.secrets.existingSecret -}}
{{- range $svc, $key := dict "rooms" "roomsDatabaseUrl" "media" "mediaDatabaseUrl" "attestation" "attestationDatabaseUrl" -}}
{{- if (index $.Values.services $svc).enabled -}}
{{- $_ := required (printf "secrets.%s is required: the %s service needs its Postgres database (or set secrets.existingSecret)" $key $svc) (index $.Values.secrets $key) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Effective minimum replica count of a service dict. */}}
{{- define "switchboard.minReplicas" -}}
{{- if .autoscaling.enabled -}}
{{- .autoscaling.minReplicas | int -}}
{{- else -}}
{{- .replicas | int -}}
{{- end -}}
{{- end -}}

{{/* Pod scheduling fields, service value first, then the global default. */}}
{{- define "switchboard.scheduling" -}}
{{- $root := .root -}}
{{- $svc := .svc -}}
{{- with (default $root.Values.nodeSelector $svc.nodeSelector) }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default $root.Values.tolerations $svc.tolerations) }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default $root.Values.affinity $svc.affinity) }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with (default $root.Values.topologySpreadConstraints $svc.topologySpreadConstraints) }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- else }}
{{- if $root.Values.defaultTopologySpread }}
{{- /* Replicas of a component spread over zones and nodes when the cluster allows it
       (ScheduleAnyway: a single-zone or small cluster still schedules every pod). */}}
topologySpreadConstraints:
  {{- range $key := list "topology.kubernetes.io/zone" "kubernetes.io/hostname" }}
  - maxSkew: 1
    topologyKey: {{ $key }}
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        {{- include "switchboard.selectorLabels" (dict "root" $root "component" $.name) | nindent 8 }}
  {{- end }}
{{- end }}
{{- end }}
{{- end -}}

{{/*
One service Deployment, rendered from a dict:
  (dict "root" $ "name" "rooms" "svc" .Values.services.rooms)
*/}}
{{- define "switchboard.deployment" -}}
{{- $root := .root -}}
{{- $name := .name -}}
{{- $svc := .svc -}}
{{- $labelCtx := dict "root" $root "component" $name -}}
{{- $optional := splitList " " (include "switchboard.optionalSecretKeys" $root) -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "switchboard.componentName" (dict "root" $root "name" $name) }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "switchboard.labels" $labelCtx | nindent 4 }}
spec:
  {{- if not $svc.autoscaling.enabled }}
  replicas: {{ $svc.replicas }}
  {{- end }}
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate:
      maxSurge: 25%
      maxUnavailable: 0
  selector:
    matchLabels:
      {{- include "switchboard.selectorLabels" $labelCtx | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "switchboard.labels" $labelCtx | nindent 8 }}
        {{- with $root.Values.podLabels }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      annotations:
        checksum/config: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- if not $root.Values.secrets.existingSecret }}
        checksum/secret: {{ include (print $root.Template.BasePath "/secret.yaml") $root | sha256sum }}
        {{- end }}
        {{- with (merge (dict) ($svc.podAnnotations | default dict) ($root.Values.podAnnotations | default dict)) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      serviceAccountName: {{ include "switchboard.serviceAccountName" $root }}
      automountServiceAccountToken: false
      {{- with $root.Values.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      terminationGracePeriodSeconds: {{ $svc.terminationGracePeriodSeconds | default 30 }}
      securityContext:
        {{- toYaml $root.Values.podSecurityContext | nindent 8 }}
      {{- with (include "switchboard.scheduling" (dict "root" $root "svc" $svc "name" $name) | trim) }}
      {{- . | nindent 6 }}
      {{- end }}
      containers:
        - name: {{ $name }}
          image: {{ include "switchboard.image" $root | quote }}
          imagePullPolicy: {{ $root.Values.image.pullPolicy }}
          command: ["node", "dist/bundle/{{ $name }}.mjs"]
          ports:
            - name: http
              containerPort: {{ $svc.ports.http }}
              protocol: TCP
            {{- if $svc.ports.grpc }}
            - name: grpc
              containerPort: {{ $svc.ports.grpc }}
              protocol: TCP
            {{- end }}
          envFrom:
            - configMapRef:
                name: {{ include "switchboard.fullname" $root }}
          env:
            - name: SERVICE_NAME
              value: {{ $name | quote }}
            - name: OTEL_SERVICE_NAME
              value: {{ printf "switchboard-%s" $name | quote }}
            - name: POD_NAME
              valueFrom:
                fieldRef:
                  fieldPath: metadata.name
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef:
                  fieldPath: metadata.namespace
            # May carry credentials (nats://user:pass@, redis://:pass@): from the Secret.
            {{- range $k := list "NATS_URL" "REDIS_URL" }}
            - name: {{ $k }}
              valueFrom:
                secretKeyRef:
                  name: {{ include "switchboard.secretName" $root }}
                  key: {{ $k }}
            {{- end }}
            - name: HTTP_PORT
              value: {{ $svc.ports.http | quote }}
            {{- if $svc.ports.grpc }}
            - name: GRPC_PORT
              value: {{ $svc.ports.grpc | quote }}
            {{- end }}
            {{- range $up := ($svc.upstreams | default list) }}
            {{- $upSvc := index $root.Values.services $up }}
            {{- if $upSvc.enabled }}
            - name: {{ printf "%s_GRPC_URL" (upper $up) }}
              value: {{ printf "%s:%v" (include "switchboard.componentName" (dict "root" $root "name" $up)) $upSvc.ports.grpc | quote }}
            {{- end }}
            {{- end }}
            {{- if eq $name "media" }}
            - name: LIVEKIT_URL
              value: {{ $root.Values.livekit.url | quote }}
            - name: LIVEKIT_API_URL
              value: {{ $root.Values.livekit.apiUrl | default "" | quote }}
            - name: LIVEKIT_TOKEN_TTL_S
              value: {{ $root.Values.livekit.tokenTtlSeconds | default 600 | quote }}
            - name: TURN_URLS
              value: {{ $root.Values.turn.urls | quote }}
            {{- end }}
            {{- if and (or (eq $name "media") (eq $name "rooms")) $root.Values.objectStorage.endpoint }}
            - name: S3_ENDPOINT
              value: {{ $root.Values.objectStorage.endpoint | quote }}
            - name: S3_PUBLIC_ENDPOINT
              value: {{ $root.Values.objectStorage.publicEndpoint | default $root.Values.objectStorage.endpoint | quote }}
            - name: S3_REGION
              value: {{ $root.Values.objectStorage.region | default "us-east-1" | quote }}
            - name: S3_BUCKET
              value: {{ $root.Values.objectStorage.bucket | quote }}
            - name: S3_FORCE_PATH_STYLE
              value: {{ $root.Values.objectStorage.forcePathStyle | toString | quote }}
            {{- end }}
            {{- if or (eq $name "media") (eq $name "gateway") }}
            - name: STUN_URLS
              value: {{ $root.Values.turn.stunUrls | default "" | quote }}
            {{- end }}
            {{- range $envName, $key := ($svc.secretEnv | default dict) }}
            - name: {{ $envName }}
              valueFrom:
                secretKeyRef:
                  name: {{ include "switchboard.secretName" $root }}
                  key: {{ $key }}
                  {{- if has $key $optional }}
                  optional: true
                  {{- end }}
            {{- end }}
            {{- range $k, $v := ($svc.env | default dict) }}
            - name: {{ $k }}
              value: {{ $v | toString | quote }}
            {{- end }}
          # Liveness and readiness wait until the process has started once (migrations
          # checked, NATS and Redis connected): a slow start is not a crash loop.
          startupProbe:
            httpGet:
              path: {{ $root.Values.probes.startup.path }}
              port: http
            periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.startup.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
          livenessProbe:
            httpGet:
              path: {{ $root.Values.probes.liveness.path }}
              port: http
            initialDelaySeconds: {{ $root.Values.probes.liveness.initialDelaySeconds }}
            periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.liveness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
          readinessProbe:
            httpGet:
              path: {{ $root.Values.probes.readiness.path }}
              port: http
            initialDelaySeconds: {{ $root.Values.probes.readiness.initialDelaySeconds }}
            periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
            timeoutSeconds: {{ $root.Values.probes.readiness.timeoutSeconds }}
            failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
          {{- if gt (int ($svc.preStopSleepSeconds | default 0)) 0 }}
          lifecycle:
            preStop:
              exec:
                command: ["sleep", {{ $svc.preStopSleepSeconds | toString | quote }}]
          {{- end }}
          {{- with $svc.resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $root.Values.securityContext | nindent 12 }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
{{- end -}}
